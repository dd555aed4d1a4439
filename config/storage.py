"""Static files in production: hashed names, compressed copies, served by whitenoise."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed and compressed, with CSS references rewritten; JS ``sourceMappingURL`` comments are left alone.

    Vendored libraries ship minified without their source maps (static/vendor/): rewriting the comment
    would need the map, and a browser only uses it in its developer tools.
    """

    patterns = tuple((glob, found) for glob, found in CompressedManifestStaticFilesStorage.patterns if glob != "*.js")
