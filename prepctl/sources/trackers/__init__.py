"""Remote issue trackers: the seam in ``interface``, GitHub (``github``) and Jira (``jira``)."""
