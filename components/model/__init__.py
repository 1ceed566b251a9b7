"""Sidebar pickers and the Signatures/MetaGraph facts tabs: a model and what it declares."""
