"""Work orders: dispatch to an audience, claim (exactly as many as needed), do, check, chase."""
