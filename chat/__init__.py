"""The conversation with the desk: understanding, chat tools, answers, and the chat graph with thread memory."""
