"""``python3 -m proxmo_bridge``: runs the adapter on stdin/stdout."""

from .server import main

if __name__ == "__main__":
    main()
