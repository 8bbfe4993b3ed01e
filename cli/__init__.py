"""The ``symtok`` command line: thin typer commands over library functions."""
