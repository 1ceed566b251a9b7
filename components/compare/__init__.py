"""The Compare page and the Test cases tab: diffs and replays."""
