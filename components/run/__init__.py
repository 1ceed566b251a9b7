"""The Run tab: editors, the Run button, outcomes and examples."""
