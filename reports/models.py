# Analytical reports land with the reports issue (DESIGN §1, §5).
