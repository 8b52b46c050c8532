"""Reading free text: codes and exception types, slots, intents, and typed queries of chat questions."""
