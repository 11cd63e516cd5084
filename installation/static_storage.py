"""Static files for production: content-hashed names, compressed variants, and the ES
modules' imports rewritten to the hashed names too."""

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Django's rules for rewriting `import ... from "./x.js"` (the second half of its
# "*.js" pattern), applied to our own modules only: its regular expressions misread
# minified code (they find "imports" inside vendor/p5/p5.min.js).
_IMPORT_RULES = CompressedManifestStaticFilesStorage._js_module_import_aggregation_patterns[1]


class HashedModulesStorage(CompressedManifestStaticFilesStorage):
    """The pages' modules import each other by their hashed names, as CSS refers to
    url()s: a browser never runs one release's wall.js with another release's sync.js
    from its cache, and every module is cached as immutable."""

    patterns = (
        *CompressedManifestStaticFilesStorage.patterns,
        ("projector/*.js", _IMPORT_RULES),
        ("controller/*.js", _IMPORT_RULES),
    )
