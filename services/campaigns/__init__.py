"""Policy campaigns (政策宣传): a policy, its target households, and who told each how."""
