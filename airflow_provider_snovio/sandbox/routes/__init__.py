"""API route families of the sandbox, one module per family, each exposing ``router``.

Each module's router carries ``Depends(require_token)``; ``sandbox.app.ROUTERS`` lists the modules.
``common`` holds the small helpers several families share (integer parsing, JSON responses for big bodies).
"""
