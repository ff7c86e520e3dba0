"""CLI sub-apps (typer). Each module keeps imports light; work happens in the modules they call."""
