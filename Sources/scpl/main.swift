print("scpl")
