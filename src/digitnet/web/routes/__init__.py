"""The API's endpoints, one router per subject; :func:`digitnet.web.app.create_app` includes
them in this order: ``page``, ``models``, ``predict``, ``examples``, ``runs``, and then
installs ``fallback`` (which answers every other ``/api/...`` request: 405 for a path that
takes other methods, else 404)."""
