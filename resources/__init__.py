"""Resources the assets use: the warehouse and the Customer.io client."""
