"""Small git repositories for tests: the same helpers the seeds and the demo use."""

from seeds.seedlib import git, make_repo, write_tree

__all__ = ["git", "make_repo", "write_tree"]
