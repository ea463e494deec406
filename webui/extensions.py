"""Extension singletons, initialised by create_app (house style: extensions.py)."""
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
compress = Compress()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
