from prepctl.cli import main

main()
