from ppj.cli import main

main()
