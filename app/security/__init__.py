"""Access control, audit and data protection (DESIGN §7; docs/security.md).

``install_api_security(app, dash_app=…)`` applies it all to the FastAPI application.
"""

from app.security.install import install_api_security

__all__ = ["install_api_security"]
