"""Code the tests share: paths, the CLI runner, plan and data builders, servers. No fixtures here
(they live in conftest.py files) and no tests."""
