"""A backup holds the data folder's data, not its caches (``cache/``: the file caches and the
questionnaires ``liaison survey`` converted), which are rebuilt when missing."""

from __future__ import annotations

from pathlib import Path

from liaison.operations.backup import _folder_files


def test_a_backup_leaves_the_data_folders_caches_out(tmp_path: Path, settings) -> None:
    # given a data folder with a secret, an upload, and entries in its caches
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.BACKUP_DIR = None
    settings.AUDIT_DIR = tmp_path / "audit"
    for relative in (
        "secret_key",
        "audit/chain.key",
        "uploads/photo.jpg",
        "cache/forms/0a1b.json",
        "cache/reports/2c3d.djcache",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(b"x")
    # when the backup lists the folder's files
    members = [name for _path, name in _folder_files(media=False)]
    members += [name for _path, name in _folder_files(media=True)]
    # then
    assert sorted(members) == ["data/audit/chain.key", "data/secret_key", "data/uploads/photo.jpg"]
