"""The offline HTML report, rendered from the readers' copy of the warehouse."""
