"""Your tools, resources and prompts: one module per concern, each loaded at start-up.

Every module in this package is imported once when the app starts (set
MCP_TOOL_PACKAGES to load other packages instead). Decorate functions with
`app.mcp.tool`, `resource`, `prompt` or `completion`; nothing else is needed.
"""
