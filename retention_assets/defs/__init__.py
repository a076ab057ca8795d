"""The project's defs folder: one sub-folder per declared sync, each a ``defs.yaml``.

``retention_assets.definitions`` loads it with the rest of the project, and the ``dg`` CLI
reads it (``[tool.dg.project]`` in pyproject.toml); docs/components.md tells how to add one.
"""
