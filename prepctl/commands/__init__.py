"""The CLI's commands, one module each: option parsing, one library call, output.

``prepctl.cli`` assembles them into the app; none of them imports it back. The global options
reach a command as the :class:`~prepctl.commands._session.Session` on typer's ``ctx.obj``.
Heavy modules are imported inside the commands, so `prepctl --help` loads none of them.
"""
