"""What the tests share beyond fixtures: small datasets and problems, learners, run helpers (importable as
``helpers``: pytest puts ``tests/`` on the path, see pyproject.toml)."""
