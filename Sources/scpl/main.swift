import SCPLCLI

SCPLCommand.start()
