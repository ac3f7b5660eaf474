from newswire.cli.main import main

main()
