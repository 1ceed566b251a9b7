"""The Graph tab: the clickable drawing and the node inspector."""
