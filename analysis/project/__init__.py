"""Project: the folder an analyst owns and the files that describe it.

Holds: the project folder and where its files live (`folder`), strict YAML (`yamlfile`),
events.yaml (`metadata`), names for new events (`naming`) and their title and date (`facts`), the house palette and font
(`palette`), the cache folder and its checksummed entries (`store`), and the versions that
outputs record (`versions`).

May import: `analysis.errors` only. Every other stage imports this one.
"""

from analysis.project.folder import (CODEBOOK_DIR, METADATA_FILE, PACKAGE_DIR, REPOSITORY,
                                     Project, atomic_write, default_codebook_dir, init_project,
                                     workspace_root)

__all__ = ["CODEBOOK_DIR", "METADATA_FILE", "PACKAGE_DIR", "REPOSITORY", "Project",
           "atomic_write", "default_codebook_dir", "init_project", "workspace_root"]
