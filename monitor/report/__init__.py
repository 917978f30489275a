"""One report on its own: reading documents, identity, sections, tables, the checks and the rules as data.

Pure functions over bytes and text; nothing here touches the network, the store or another report.
"""
