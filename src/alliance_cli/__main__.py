from alliance_cli.cli import main

main()
