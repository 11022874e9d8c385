"""The `chitieu` command line (`cli.main`), the sandbox runner and the demo province. An entry
point: it imports bot/ only to run the bot."""
