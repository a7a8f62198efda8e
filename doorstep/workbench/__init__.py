"""The workbench (工作台): every role's home page, and the navigation each role can use.

It only reads: each card asks the list it opens for its count (so the two cannot differ)
and shows the few rows with the nearest deadline. Its code lives in `web/`, the layer that
may read every domain's pages.
"""
