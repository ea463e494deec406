"""Extension singletons, initialised by create_app (house style: extensions.py)."""
from flask_babel import Babel
from flask_compress import Compress
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
compress = Compress()
babel = Babel()
