"""`python -m cli ...` is `gridsafe ...`."""
from . import main

main()
