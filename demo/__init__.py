"""The demo: ``manage.py seed_demo`` and the fleet it builds. Installed by the local and test settings only."""
