"""Widget keys shared by the app and its tests."""

from __future__ import annotations

SOURCE_KIND = "picker.source_kind"
SAMPLE = "picker.sample"
FOLDER_PATH = "picker.folder_path"
UPLOAD = "picker.upload"
VERSION = "picker.version"
TAG_SET = "picker.tag_set"
SIGNATURE = "picker.signature"
METHOD_NAME_CHECK = "picker.method_name_check"

SOURCE_SAMPLE = "Bundled sample"
SOURCE_FOLDER = "Folder on the server"
SOURCE_UPLOAD = "Upload .zip / .tar.gz"
SOURCE_KINDS = (SOURCE_SAMPLE, SOURCE_FOLDER, SOURCE_UPLOAD)
