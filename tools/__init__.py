"""Launchers beside the code location: ``make demo`` and ``make ui``.

They start the local Customer.io sandbox and Dagster processes, so they live outside
``retention_assets`` (the code location Dagster loads) and are run from the project root.
"""
