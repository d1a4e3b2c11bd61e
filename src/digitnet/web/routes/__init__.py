"""The API's endpoints, one router per subject; :func:`digitnet.web.app.create_app` includes
them in this order: ``page``, ``models``, ``predict``, ``examples``, ``runs`` and last
``fallback`` (which answers every other ``/api/...`` path with a 404)."""
