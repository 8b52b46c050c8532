"""The conversation with the desk: chat tools, answers, and the chat graph with thread memory."""
