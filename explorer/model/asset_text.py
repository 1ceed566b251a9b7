"""The text of a model's own asset files (vocabularies, label lists), read within a limit."""

from __future__ import annotations

from pathlib import Path

from explorer.model.info import MetaGraphInfo

# A file past this size is read only this far (its first lines are used).
MAX_ASSET_BYTES = 4 << 20


def asset_lines(
    meta_graph: MetaGraphInfo, filename: str, *, max_bytes: int = MAX_ASSET_BYTES
) -> tuple[bool, list[str]] | None:
    """The lines of ``assets/<filename>`` beside the MetaGraph's saved_model.pb.

    Args:
        meta_graph: a MetaGraph read from a folder (its ``model_dir``).
        filename: a plain file name, as ``asset_file_def`` lists it.
        max_bytes: read at most this much.

    Returns:
        (whether the whole file was read, its lines without line ends); a last line cut
        by the limit is dropped. None when the file is not there or not a plain name.

    Raises:
        Nothing.
    """
    if not meta_graph.model_dir or "/" in filename or "\\" in filename:
        return None
    if filename in ("", ".", ".."):
        return None
    path = Path(meta_graph.model_dir) / "assets" / filename
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError:
        return None
    complete = len(data) <= max_bytes
    lines = data[:max_bytes].decode("utf-8", errors="replace").split("\n")
    # A last line cut by the limit, or the empty piece after a final line end, goes.
    if not complete or (lines and lines[-1] == ""):
        lines = lines[:-1]
    return complete, [line.rstrip("\r") for line in lines]
