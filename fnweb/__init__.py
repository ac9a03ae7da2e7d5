# fnweb's version, as `GET /version` answers it (the Fn CLI's `fn version` asks for it).
__version__ = "0.1.0"
