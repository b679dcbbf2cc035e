"""Understanding comments: themes, sentiment, discovery of new themes, and stories.

The public API::

    from cxloop.text import tag_workspace, tag_file, theme_summary, stories
    from cxloop.text import load_taxonomy, default_taxonomy, check

Modules: ``taxonomy`` (the TOML file a user owns), ``clauses`` (cutting comments),
``phrases`` (exact keywords), ``encoder`` (sentence embeddings) and ``cache`` (by text
hash), ``sentiment``, ``tagger`` (all of it per comment), ``workspace_tags`` and
``tag_file`` (where comments come from and go to), ``summary``, ``discover`` and
``stories``.
"""

from .summary import theme_summary
from .tag_file import tag_file
from .taxonomy import Taxonomy, Theme, check, default_taxonomy, load_taxonomy
from .workspace_stories import stories
from .workspace_tags import tag_workspace

__all__ = [
    "Taxonomy",
    "Theme",
    "check",
    "default_taxonomy",
    "load_taxonomy",
    "stories",
    "tag_file",
    "tag_workspace",
    "theme_summary",
]
