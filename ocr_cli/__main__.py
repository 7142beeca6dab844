from ocr_cli.cli import main

main()
