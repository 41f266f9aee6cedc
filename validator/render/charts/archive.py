"""Safe unpacking of chart archives (.tgz) and a digest manifest of an unpacked tree."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path, PurePosixPath

from validator.model import ValidatorError

MAX_ARCHIVE_BYTES = 20 * 1024 * 1024  # a packaged chart; the largest public ones are a few MiB
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 10_000


class ArchiveError(ValidatorError):
    pass


def unpack_chart(data: bytes, target: Path) -> Path:
    """Unpack a chart archive under `target` and return the chart directory (its one top dir).

    Refused: absolute paths, `..`, links of any kind, devices, more than MAX_MEMBERS entries
    or MAX_UNPACKED_BYTES in total. Nothing is written outside `target`.
    """
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"chart archive is larger than {MAX_ARCHIVE_BYTES} bytes")
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = _checked_members(archive)
            tops = {PurePosixPath(m.name).parts[0] for m in members}
            if len(tops) != 1:
                raise ArchiveError("chart archive must hold exactly one top-level directory")
            for member in members:
                _extract(archive, member, target)
    except (tarfile.TarError, EOFError, OSError) as error:
        if isinstance(error, ArchiveError):
            raise
        raise ArchiveError(
            f"chart archive is not a readable .tgz ({type(error).__name__})"
        ) from None
    chart = target / tops.pop()
    if not (chart / "Chart.yaml").is_file():
        raise ArchiveError("chart archive has no Chart.yaml in its top-level directory")
    return chart


def _checked_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members: list[tarfile.TarInfo] = []
    total = 0
    for member in archive:
        if len(members) >= MAX_MEMBERS:
            raise ArchiveError(f"chart archive has more than {MAX_MEMBERS} entries")
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise ArchiveError(f"chart archive entry escapes the chart: {member.name!r}")
        if member.issym() or member.islnk():
            raise ArchiveError(f"chart archive entry is a link: {member.name!r}")
        if not (member.isfile() or member.isdir()):
            raise ArchiveError(f"chart archive entry is not a file or directory: {member.name!r}")
        total += member.size
        if total > MAX_UNPACKED_BYTES:
            raise ArchiveError(f"chart archive unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        members.append(member)
    return members


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    destination = target.joinpath(*PurePosixPath(member.name).parts)
    if member.isdir():
        destination.mkdir(parents=True, exist_ok=True)
        return
    source = archive.extractfile(member)
    if source is None:
        raise ArchiveError(f"chart archive entry cannot be read: {member.name!r}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Written by hand (not tarfile.extract): modes and owners from the archive are ignored.
    destination.write_bytes(source.read())


def tree_manifest(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`, by relative POSIX path; symlinks are refused."""
    manifest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            raise ArchiveError(f"unexpected link in chart tree: {path.relative_to(root)}")
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            manifest[path.relative_to(root).as_posix()] = digest
    return manifest
