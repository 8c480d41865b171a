from alliance_cli.launch import main

main()
