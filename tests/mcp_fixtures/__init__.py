"""The MCP conformance suite's fixtures: tools, resources and prompts with fixed names.

Loaded only through MCP_TOOL_PACKAGES=tests.mcp_fixtures (never shipped in app/).
Names, texts and data follow the suite's reference "everything" server.
"""
