"""One reader per document format; each turns bytes into a :class:`monitor.document.Document`."""
