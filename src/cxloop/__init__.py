"""cxloop: turn the voice of the customer into action by the people who serve customers.

The Python API is the product; the CLI and the web app are thin shells over it::

    from cxloop import Workspace, ingest, metrics
    ws = Workspace.init("./ws")
    ingest.ingest_file(ws, "responses", "survey.csv")
    metrics.survey_scores(ws, by="team", period="month")
"""

from .errors import CxloopError
from .workspace import Workspace

__version__ = "0.1.0"
__all__ = ["CxloopError", "Workspace", "__version__"]
