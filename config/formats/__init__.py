"""Date formats per language, over Django's own (FORMAT_MODULE_PATH): the long day customers read."""
